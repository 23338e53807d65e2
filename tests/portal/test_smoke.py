from tests.factories import complete_application


def test_each_role_reaches_its_home_page(world, sign_in):
    for user, path in [(world.admin, "/admin/"), (world.evaluator, "/evaluation/"),
                       (world.member_officer, "/authority/"), (world.provider_a, "/provider/")]:
        client = sign_in(user)
        response = client.get("/", follow_redirects=True)
        assert response.status_code == 200
        assert response.request.path == path


def test_provider_application_pages_render(world, sign_in, clock):
    application = complete_application(world.provider_a, world.window, clock)
    client = sign_in(world.provider_a)
    for section in ("", "/lots", "/prices", "/answers", "/documents", "/referees", "/submit"):
        response = client.get(f"/provider/applications/{application.id}{section}")
        assert response.status_code == 200, section
    response = client.post(f"/provider/applications/{application.id}/submit")
    assert response.status_code == 302
    assert client.get(f"/provider/applications/{application.id}/receipt").status_code == 200


def test_admin_pages_render(world, sign_in):
    client = sign_in(world.admin)
    for path in ("/admin/", f"/admin/dps/{world.dps.id}", f"/admin/dps/{world.dps.id}/terms",
                 f"/admin/dps/{world.dps.id}/questions", f"/admin/dps/{world.dps.id}/lots/new",
                 f"/admin/windows/{world.window.id}", "/admin/providers", "/admin/users", "/admin/audit",
                 "/admin/outbox", "/admin/dps/new", "/evaluation/", f"/evaluation/windows/{world.window.id}",
                 "/notifications"):
        assert client.get(path).status_code == 200, path


def test_a_page_without_a_back_link_has_no_empty_back_navigation(world, sign_in):
    body = sign_in(world.admin).get("/admin/").get_data(as_text=True)
    assert 'aria-label="Back"' not in body
    body = sign_in(world.admin).get(f"/admin/dps/{world.dps.id}").get_data(as_text=True)
    assert '<nav class="portal-back-link" aria-label="Back">' in body


def test_an_id_too_big_for_the_database_is_not_found(world, sign_in):
    for user, url in ((world.admin, "/admin/windows/99999999999999999999"),
                      (world.member_officer, "/authority/bids/99999999999999999999/assess"),
                      (world.member_officer, "/authority/referrals/2147483648"),
                      (world.member_officer, "/authority/referrals/new?lot_id=99999999999999999999"),
                      (world.member_officer, "/authority/off-framework-documents/99999999999999999999"),
                      (world.provider_a, "/provider/referrals/99999999999999999999/outcome")):
        assert sign_in(user).get(url).status_code == 404, url
