"""The PDFs the portal makes, one module each, on the building blocks of `common`:

evaluation
    the provider's outcome letter and the lead authority's evaluation report of a window;
placement_agreement
    the individual placement agreement (IPA) of a placement, for the referring authority.

Every blueprint that serves a document imports it from here; none builds its own.
"""
