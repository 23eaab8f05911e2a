"""The JSON API: `schemas` declares what a case looks like when written out, `views` serves it with django-ninja."""
