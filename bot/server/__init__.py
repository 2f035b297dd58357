"""Starting the servers: Rasa with the project's patches, beside the action and page servers."""
