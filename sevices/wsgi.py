"""The WSGI application (gunicorn sevices.wsgi); how it starts is in sevices/startup.py.

https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

from django.core.wsgi import get_wsgi_application

from sevices.startup import serve

application = serve(get_wsgi_application)
