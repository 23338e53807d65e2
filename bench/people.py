"""Fictional names for the benchmark data: people, providers and their homes. None is a real person or firm."""

FIRST_NAMES = [
    "Amara", "Ben", "Caitlin", "Dev", "Elin", "Farah", "Gareth", "Hana", "Idris", "Jess", "Kofi", "Lena", "Marek",
    "Nia", "Oren", "Pippa", "Quinn", "Rhys", "Saoirse", "Tariq", "Una", "Viktor", "Wren", "Yusuf", "Zara",
]
SURNAMES = [
    "Ashby", "Brennan", "Chowdhury", "Dalton", "Ekwueme", "Fairley", "Gallagher", "Hollis", "Iqbal", "Jardine",
    "Kowalski", "Lindqvist", "Mbatha", "Nolan", "Okonjo", "Pemberton", "Quayle", "Rahman", "Sterling", "Thorne",
    "Underwood", "Varga", "Whitlock", "Yates", "Zielinski",
]
PLACES = [
    "Alder", "Beacon", "Brook", "Castle", "Cedar", "Clover", "Elm", "Fern", "Hawthorn", "Heather", "Hillside",
    "Juniper", "Kestrel", "Larch", "Linden", "Maple", "Meadow", "Oak", "Orchard", "Pebble", "Pine", "Riverside",
    "Rowan", "Sandstone", "Silver Birch", "Stonebridge", "Thistle", "Valley", "Willow", "Yew",
]
KINDS = [
    "Fostering", "Family Placements", "Care", "Foster Care", "Children's Services", "Family Support",
    "Homes for Children", "Fostering Partnership", "Carers", "Family Care",
]
SUFFIXES = ["Ltd", "CIC", "Limited", "LLP", "Trust", "Group", "Services Ltd", "Partnership", "Community Interest",
            "Foundation", "Network", "Collective", "Alliance", "Cooperative", "UK Ltd", "(North)", "(South)",
            "(Midlands)", "(East)", "(West)"]

HOMES = [
    "A foster family with two grown-up children and a large garden, ten minutes from the primary school.",
    "Experienced carers in a quiet cul-de-sac, with a spare bedroom and a dog that is used to children.",
    "A single carer who works from home, near the bus route to the secondary school and the youth club.",
    "Carers trained in therapeutic parenting, in a village with a park and a sports club nearby.",
]
HOW_NEEDS_MET = [
    "Weekly supervision of the carers, therapeutic support from our clinical team and help with school.",
    "A key worker from our team, contact arranged with the family as the plan says, and a tutor twice a week.",
    "Carers with training in trauma and attachment, and a 24-hour on-call line for the carers.",
    "Support into a local football club, a mentor, and a link with the virtual school head.",
]
REASONS = [
    "A clear answer with examples from the last year.",
    "Good evidence of training and supervision; some gaps in the examples.",
    "Sound policy, but the answer says little about how it works in practice.",
]


def person(number: int) -> tuple[str, str]:
    """A fictional first name and surname, varied by `number`."""
    return FIRST_NAMES[number % len(FIRST_NAMES)], SURNAMES[(number // len(FIRST_NAMES)) % len(SURNAMES)]


def provider_name(number: int) -> str:
    """A distinct fictional provider name for each number below 6,000, then numbered."""
    place = PLACES[number % len(PLACES)]
    kind = KINDS[(number // len(PLACES)) % len(KINDS)]
    suffix = SUFFIXES[(number // (len(PLACES) * len(KINDS))) % len(SUFFIXES)]
    name = f"{place} {kind} {suffix}"
    cycle = len(PLACES) * len(KINDS) * len(SUFFIXES)
    return name if number < cycle else f"{name} {number // cycle + 1}"


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-").replace("--", "-")
