"""The assistant's own logic, free of Rasa imports: content, answers, crisis, clinic, sign-off."""
