"""Front ends for people: the classroom web app (webapp.py) and terminal play (terminal.py).

Solara must not try to reach the internet (classroom machines may have no network): its telemetry is switched
off before any module of this package imports it.
"""

import os

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
