"""The editorial services (incidents/services.py): a company found by its name or an alias, a merged case
followed to the case that survived it. The pages that call them are tested in test_admin.py (tips turned
into drafts), test_import.py (rows naming a company) and test_views.py (redirects of merged cases)."""

import pytest

from incidents.models import CompanyAlias, Incident, Status
from incidents.services import find_company, follow_merges
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def facebook():
    company = factories.company(name="Facebook")
    CompanyAlias.objects.create(company=company, name="Meta")
    return company


@pytest.mark.parametrize("name", ["Facebook", "facebook", "  FACEBOOK \n", "Meta", "meta", " META "])
def test_a_company_is_found_by_its_name_or_an_alias_whatever_the_case(facebook, name):
    assert find_company(name) == facebook


@pytest.mark.parametrize("name", ["", "   ", None, "Faceboo", "Meta Platforms"])
def test_nothing_is_found_for_an_empty_or_unknown_name(facebook, name):
    assert find_company(name) is None


@pytest.mark.parametrize("name", ["", "  ", None])
def test_an_empty_name_is_not_looked_up(facebook, name, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert find_company(name) is None


def test_a_companys_own_name_wins_over_another_companys_alias(facebook):
    meta = factories.company(name="Meta")
    assert find_company("meta") == meta


def test_an_alias_two_companies_share_gives_the_first_by_name(facebook):
    instagram = factories.company(name="Instagram")
    for company in (instagram, facebook):
        CompanyAlias.objects.create(company=company, name="The Zuckerberg group")
    assert find_company("the zuckerberg group") == facebook


def chain(length):
    """Cases merged one into the next, `length` merges long: [first merged, ..., survivor]."""
    cases = [factories.incident(title="The survivor")]
    for _ in range(length):
        cases.insert(0, factories.incident(status=Status.MERGED, merged_into=cases[0]))
    return cases


def test_a_case_that_is_not_merged_stands_for_itself():
    case = factories.incident()
    assert follow_merges(case) == case
    draft = factories.draft()
    assert follow_merges(draft) == draft


def test_a_case_set_back_from_merged_outside_the_admin_stands_for_itself():
    """Only the admin clears `merged_into` when the status changes; the status is what counts."""
    survivor = factories.incident(title="The survivor")
    case = factories.incident(status=Status.MERGED, merged_into=survivor)
    case.status = Status.PUBLISHED
    case.save()
    assert follow_merges(Incident.objects.get(pk=case.pk)) == case


def test_a_chain_of_merges_is_followed_to_its_end():
    cases = chain(3)
    assert follow_merges(Incident.objects.get(pk=cases[0].pk)) == cases[-1]
    assert follow_merges(Incident.objects.get(pk=cases[2].pk)) == cases[-1]


def test_following_stops_after_five_hops_however_long_the_chain():
    cases = chain(7)
    assert follow_merges(Incident.objects.get(pk=cases[0].pk)) == cases[5]


def test_the_first_hop_costs_no_query_when_merged_into_comes_with_the_case(django_assert_num_queries):
    cases = chain(2)
    first = Incident.objects.select_related("merged_into").get(pk=cases[0].pk)
    with django_assert_num_queries(1):  # the second hop only
        assert follow_merges(first) == cases[-1]
