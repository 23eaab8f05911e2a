"""The case page's share box: {% case_sharing case as share %} gives the embed code and the share links."""

from django import template

from incidents import embeds

register = template.Library()


@register.simple_tag(takes_context=True)
def case_sharing(context, case):
    request = context.get("request")
    if request is None or case is None or not case.pk:
        return None
    return {"embed": embeds.embed_html(request, case), "links": embeds.share_links(request, case)}
