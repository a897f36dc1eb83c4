from jiceng.core.models import AuditEvent

PASSWORD = "Jiceng-test-2025"  # tests/conftest.py


def test_changing_ones_own_password_writes_an_audit_row_without_the_password(personas, client_for):
    client = client_for(personas.clerk)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Xq7-long-enough-2025",
            "new_password2": "Xq7-long-enough-2025",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="accounts.change_own_password")
    assert event.actor == personas.clerk
    assert event.node_path == personas.tree.TA1.path
    assert "Xq7" not in str(event.before) + str(event.after)
