from budgetpay.api import OptionalSlashRouter
from chatbot.views import ChatMessageViewSet, ConversationViewSet, ProposedActionViewSet

router = OptionalSlashRouter()
router.register("chatbot/conversations", ConversationViewSet, basename="chat-conversation")
router.register("chatbot/messages", ChatMessageViewSet, basename="chat-message")
router.register("chatbot/actions", ProposedActionViewSet, basename="chat-action")

urlpatterns = router.urls
