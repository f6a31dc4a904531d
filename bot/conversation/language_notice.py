"""Placeholder until the language helper's module lands."""


def language_notice(code: str) -> str:
    return (
        "Sorry, I can only answer in English for now. Would you like a person to help? "
        "Just say yes."
    )
