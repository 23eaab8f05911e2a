"""Editorial services that the admin, the importer and the public views share.

A company named by a reader or a file is found by its name or one of its aliases; a merged case is
followed to the case that survived it. State changes (merging itself) live in incidents/workflow.py.
"""

from __future__ import annotations

from incidents.models import Company, Status

MAX_MERGE_HOPS = 5  # merging re-points earlier merges, so a chain is short; the bound only stops a loop


def find_company(name):
    """The company called `name`, by its name or one of its aliases (case-insensitive), if there is one."""
    name = (name or "").strip()
    if not name:
        return None
    return (
        Company.objects.filter(name__iexact=name).first()
        or Company.objects.filter(aliases__name__iexact=name).distinct().first()
    )


def follow_merges(case):
    """The case a merged case now stands for: the end of its chain of merges (the case itself if not merged).

    Select `merged_into` with the case: the first hop then costs no query.
    """
    target = case
    for _hop in range(MAX_MERGE_HOPS):
        if target.status != Status.MERGED or not target.merged_into_id:
            break
        target = target.merged_into
    return target
