"""The ASGI application; how it starts is in sevices/startup.py.

https://docs.djangoproject.com/en/5.2/howto/deployment/asgi/
"""

from django.core.asgi import get_asgi_application

from sevices.startup import serve

application = serve(get_asgi_application)
