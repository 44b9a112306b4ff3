"""HTML pages of the catalogue, one module per area: the public catalogue, services and the search
by need, referrals, workshops, partnership conventions, coverage."""
