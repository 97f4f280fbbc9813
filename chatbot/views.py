from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from budgetpay.ai_limit import UserRateThrottleForAI
from chatbot import selectors, services
from chatbot.chat import ChatResult, chat_send
from chatbot.models import Conversation, ProposedAction
from chatbot.serializers import (
    ChatMessageSerializer,
    ChatReplySerializer,
    ConversationDetailSerializer,
    ConversationSerializer,
    NewChatMessageSerializer,
    ProposedActionSerializer,
)

CHAT_RESPONSES = {
    201: ChatReplySerializer,
    400: OpenApiResponse(description="The content is empty or longer than 4000 characters."),
    404: OpenApiResponse(description="No such conversation of yours."),
    429: OpenApiResponse(
        description="Too many messages in a minute, or today's AI requests are used up; retry after Retry-After seconds."
    ),
}


def _reply(request: Request, conversation: Conversation | None, content: str) -> Response:
    # A spent day (DailyLimitReached) is answered by the API's exception handler: 429 with Retry-After.
    result: ChatResult = chat_send(user=request.user, conversation=conversation, content=content)
    return Response(ChatReplySerializer(result).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["chatbot"])
class ConversationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The signed-in person's conversations with the assistant, most recently active first."""

    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Conversation]:
        if getattr(self, "swagger_fake_view", False):
            return Conversation.objects.none()
        if self.action == "retrieve":
            return selectors.conversation_detail_list(user=self.request.user)
        return selectors.conversation_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ConversationDetailSerializer
        if self.action == "messages":
            return ChatMessageSerializer
        return ConversationSerializer

    def perform_create(self, serializer: ConversationSerializer) -> None:
        serializer.instance = services.conversation_create(
            user=self.request.user, title=serializer.validated_data.get("title", "")
        )

    def perform_destroy(self, instance: Conversation) -> None:
        services.conversation_delete(conversation=instance)

    @extend_schema(request=ChatMessageSerializer, responses=CHAT_RESPONSES)
    @action(detail=True, methods=["post"], throttle_classes=[UserRateThrottleForAI])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        """Send a message in this conversation and get the assistant's answer."""
        conversation = self.get_object()
        serializer = ChatMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _reply(request, conversation, serializer.validated_data["content"])


@extend_schema(tags=["chatbot"])
class ChatMessageViewSet(viewsets.GenericViewSet):
    serializer_class = NewChatMessageSerializer
    throttle_classes = [UserRateThrottleForAI]

    @extend_schema(request=NewChatMessageSerializer, responses=CHAT_RESPONSES)
    def create(self, request: Request) -> Response:
        """Send a message; without `conversation` a new conversation is started."""
        serializer = NewChatMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversation = None
        if conversation_id := serializer.validated_data.get("conversation"):
            try:
                conversation = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
            except Conversation.DoesNotExist as exc:
                raise exceptions.NotFound(f"You have no conversation {conversation_id}.") from exc
        return _reply(request, conversation, serializer.validated_data["content"])


@extend_schema(tags=["chatbot"])
class ProposedActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Changes the assistant proposed. Nothing is written until you confirm one."""

    serializer_class = ProposedActionSerializer
    filterset_fields = ("status",)
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[ProposedAction]:
        if getattr(self, "swagger_fake_view", False):
            return ProposedAction.objects.none()
        return selectors.action_list(user=self.request.user)

    @extend_schema(
        request=None,
        responses={
            200: ProposedActionSerializer,
            400: OpenApiResponse(description="Cancelled, or the change no longer applies."),
        },
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Apply the change. Confirming an applied change again changes nothing."""
        proposed = services.action_confirm(action=self.get_object())
        return Response(ProposedActionSerializer(proposed).data)

    @extend_schema(
        request=None,
        responses={200: ProposedActionSerializer, 400: OpenApiResponse(description="The change is already applied.")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Drop the change; nothing is written."""
        proposed = services.action_cancel(action=self.get_object())
        return Response(ProposedActionSerializer(proposed).data)
