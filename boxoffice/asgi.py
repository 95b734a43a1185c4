"""`uvicorn boxoffice.asgi:app`"""

from boxoffice.app import create_app

app = create_app()
