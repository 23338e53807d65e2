"""The rules of searching and sorting lists: only a list's own sort keys are used, and a search is matched as text."""

from portal.extensions import db
from portal.models import Organisation
from portal.models.organisation import PROVIDER
from portal.services import listing

SORTS = listing.SortKeys({"name": [Organisation.name], "created": [Organisation.created_at]}, default="created",
                         default_descending=True, tie_breaker=[Organisation.id], newest_first=["created"])


def test_an_unknown_sort_key_or_direction_falls_back_to_the_lists_own():
    assert SORTS.choose(None, None) == listing.Sorting("created", True, frozenset({"created"}))
    assert SORTS.choose("name; DROP TABLE organisation", "asc").key == "created"
    assert SORTS.choose("name", "sideways") == SORTS.choose("name", "asc")
    assert not SORTS.choose("name", None).descending
    assert SORTS.choose("created", None).descending  # dates start newest first
    assert SORTS.choose("name", "desc").order == "desc"


def test_the_order_ends_with_the_tie_breaker_in_the_same_direction():
    clauses = [str(clause) for clause in SORTS.order_by(SORTS.choose("name", "desc"))]
    assert clauses == ["organisation.name DESC", "organisation.id DESC"]


def test_wildcards_in_a_search_match_only_themselves(app, world):
    for name in ("100% Care", "1000 Care", "Under_score Homes", "Underscore Homes", "Back\\slash"):
        db.session.add(Organisation(name=name, kind=PROVIDER, created_at=world.window.opens_at))
    db.session.commit()

    def found(search: str) -> set[str]:
        return set(db.session.scalars(db.select(Organisation.name).where(
            listing.matching(search, [Organisation.name]))))

    assert listing.contains("50%_off\\") == "%50\\%\\_off\\\\%"
    assert found("0%") == {"100% Care"}
    assert found("r_s") == {"Under_score Homes"}
    assert found("k\\s") == {"Back\\slash"}
    assert found("UNDERSCORE") == {"Underscore Homes"}  # case does not matter
    assert found("%") == {"100% Care"}


def test_a_search_is_trimmed_and_cut_to_a_sensible_length():
    assert listing.cleaned("  T-DPS  ") == "T-DPS"
    assert listing.cleaned(None) == ""
    assert len(listing.cleaned("x" * 500)) == listing.MAX_SEARCH
