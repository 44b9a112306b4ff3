"""Text assertions that do not flake on generated names.

Factory names are drawn at random from Faker's French lists ("Marc", "Petit", …), so a plain
substring test can find a person's first name inside an ordinary word ("Marché du travail"). These
helpers look for the name as a whole word.
"""

import re


def mentions(text: str, word: str) -> bool:
    """True when ``word`` occurs in ``text`` as a whole word (not inside a longer word)."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None
