"""Head metadata and structured data: {% page_meta as seo %}, {% json_ld data %}, {% case_citation case %}."""

from django import template

from incidents import seo

register = template.Library()


@register.simple_tag(takes_context=True)
def page_meta(context):
    return seo.page_meta(context)


@register.simple_tag(takes_context=True)
def json_ld(context, data):
    return seo.json_ld_script(data) if data else ""


@register.simple_tag(takes_context=True)
def case_citation(context, case):
    """The "Cite this case" box's content for the current version of a published case (one query)."""
    from incidents.citations import citation_context, latest_revision

    request = context.get("request")
    if request is None or case is None or not case.pk:
        return None
    return citation_context(request, case, pinned=latest_revision(case))
