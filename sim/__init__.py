"""A siege wargame engine: theatre, formations, combat, supply, doctrine and the Mesa model (`SiegeModel`)."""
