"""The sign-in page of a new installation tells its first visitor how to create the first administrator."""

from __future__ import annotations

from flask import Flask


def test_the_login_page_tells_the_first_visitor_what_to_run(app: Flask) -> None:
    """With no administrator yet, the sign-in page says how to create one on the server."""
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "Aucun compte administrateur n'existe encore." in page
    assert "helpline users add <var>identifiant</var> --role admin" in page


def test_the_login_page_says_nothing_of_it_once_an_admin_exists(app: Flask, accounts: dict[str, str]) -> None:
    """Once an administrator exists, the sign-in page is only the form."""
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "Aucun compte administrateur" not in page
