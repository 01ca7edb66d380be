"""The public site: pages anyone reaches without an account, in French, sized for a phone.

One blueprint, `console.public`, mounted at the site's root; the access guard lets every request of it
through without a sign-in (`console.access.PUBLIC_BLUEPRINTS`), so nothing here may show a record, a staff
note or anything a visitor did not type. Its pages extend `public/base.html`, which carries the helpline's
number: a person who would rather speak to someone is always one tap away.
"""

from __future__ import annotations

# Importing the modules adds their routes to the blueprint.
from console.public import find_page, follow_up, home, privacy, request_page  # noqa: F401
from console.public.blueprint import bp

__all__ = ["bp"]
