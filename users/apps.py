from django.apps import AppConfig


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"

    def ready(self) -> None:
        self.connect_socket_receivers()
        self.register_personal_data()

    def register_personal_data(self) -> None:
        from allauth.account.models import EmailAddress
        from allauth.socialaccount.models import SocialAccount

        from budgetpay import personal_data

        personal_data.register(
            "profile", self.get_model("User"), owner="pk", left_out={"password", "is_superuser", "is_staff"}
        )
        personal_data.register("email_addresses", EmailAddress)
        personal_data.register("connected_accounts", SocialAccount, left_out={"extra_data"})

    def connect_socket_receivers(self) -> None:
        """Open sockets close when what they signed in with ends (users/socket_receivers.py)."""
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_delete, post_save

        from users import socket_receivers
        from users.signals import credentials_changed

        user_logged_out.connect(socket_receivers.close_sockets_on_logout, dispatch_uid="users.sockets.logout")
        credentials_changed.connect(
            socket_receivers.close_sockets_on_credentials_changed, dispatch_uid="users.sockets.credentials_changed"
        )
        user_model = self.get_model("User")
        post_save.connect(
            socket_receivers.close_sockets_on_deactivation, sender=user_model, dispatch_uid="users.sockets.deactivated"
        )
        post_delete.connect(
            socket_receivers.close_sockets_on_delete, sender=user_model, dispatch_uid="users.sockets.deleted"
        )
