# The authorisation matrix's world (one of every object, every persona) is the crawl's fixture.
from tests.test_authorisation_matrix import world  # noqa: F401
