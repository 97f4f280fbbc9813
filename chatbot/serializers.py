from rest_framework import serializers

from chatbot.chat import MAX_CONTENT_CHARS
from chatbot.models import Conversation, Message, ProposedAction


class ProposedActionSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = ProposedAction
        fields = (
            "id",
            "conversation",
            "operation",
            "status",
            "summary",
            "transaction",
            "account",
            "category",
            "kind",
            "amount",
            "date",
            "description",
            "created_at",
            "decided_at",
        )
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    actions = ProposedActionSerializer(many=True, read_only=True, help_text="Changes proposed in this answer.")

    class Meta:
        model = Message
        fields = (
            "id",
            "conversation",
            "role",
            "content",
            "tool_calls",
            "tool_call_id",
            "data",
            "actions",
            "created_at",
        )
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)

    class Meta:
        model = Conversation
        fields = ("id", "title", "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")


class ConversationDetailSerializer(ConversationSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = (*ConversationSerializer.Meta.fields, "messages")


class ChatMessageSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=MAX_CONTENT_CHARS,
        error_messages={
            "blank": "Write a message.",
            "required": "Write a message.",
            "max_length": f"Messages are at most {MAX_CONTENT_CHARS} characters.",
        },
    )


class NewChatMessageSerializer(ChatMessageSerializer):
    conversation = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Leave out (or null) to start a new conversation."
    )


class ChatReplySerializer(serializers.Serializer):
    conversation = ConversationSerializer()
    message = MessageSerializer(help_text="Your message, as stored.")
    reply = MessageSerializer(help_text="The assistant's answer; its actions wait for your confirmation.")
