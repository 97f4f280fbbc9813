from django.apps import AppConfig


class ChatbotConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chatbot"

    def ready(self) -> None:
        from budgetpay import personal_data

        personal_data.register("chat_conversations", self.get_model("Conversation"))
        personal_data.register("chat_messages", self.get_model("Message"), owner="conversation__user")
        personal_data.register("chat_actions", self.get_model("ProposedAction"))
