"""`{% load images %}`: srcset strings of a case image's renditions (see incidents/images.py).

<picture>
  <source type="image/webp" srcset="{{ image|srcset:'webp' }}" sizes="(min-width: 60rem) 48rem, 100vw">
  <img src="{{ image.src }}" srcset="{{ image|srcset:'fallback' }}" sizes="(min-width: 60rem) 48rem, 100vw"
       width="{{ image.width }}" height="{{ image.height }}" alt="{{ image.alt_text }}" loading="lazy">
</picture>
"""

from django import template

register = template.Library()


@register.filter
def srcset(image, image_format="webp"):
    """The `srcset` of an IncidentImage in one format: "webp" or "fallback" (JPEG, or PNG with transparency)."""
    return image.srcset(image_format) if image else ""
