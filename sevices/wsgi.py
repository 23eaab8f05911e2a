"""The WSGI application (gunicorn sevices.wsgi); how it starts is in sevices/startup.py.

https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

from django.core.wsgi import get_wsgi_application

from incidents.caching.pages import CachedPagesFirst
from sevices.startup import serve

# A page cache hit is answered before Django's handler runs (incidents/caching/pages.py).
application = serve(lambda: CachedPagesFirst(get_wsgi_application()))
