"""Text from outside (forms, query strings, uploaded files) without control characters.

PostgreSQL refuses NUL in text, XML (hence XLSX exports) refuses the other C0 controls, and none of
them belongs in a name; tab, line feed and carriage return stay (they separate lines and cells).
"""
import re

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)
