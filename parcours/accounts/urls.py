from django.contrib.auth import views as auth_views
from django.urls import path

from parcours.accounts import proconnect, views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe/change/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("double-authentification/", views.mfa_setup, name="mfa_setup"),
    path("double-authentification/code/", views.mfa_verify, name="mfa_verify"),
    path("double-authentification/codes-de-secours/", views.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("double-authentification/cle-d-acces/", views.passkey_add, name="passkey_add"),
    path(
        "double-authentification/cle-d-acces/<int:passkey_id>/renommer/",
        views.passkey_rename,
        name="passkey_rename",
    ),
    path(
        "double-authentification/cle-d-acces/<int:passkey_id>/supprimer/",
        views.passkey_delete,
        name="passkey_delete",
    ),
    path("proconnect/", proconnect.start, name="proconnect_start"),
    path("proconnect/retour/", proconnect.callback, name="proconnect_callback"),
    path("jetons/", views.api_tokens, name="api_tokens"),
    path("jetons/<int:token_id>/revoquer/", views.revoke_api_token, name="revoke_api_token"),
]
