"""The web chat demo page: page server and static files; the widget comes from npm."""
