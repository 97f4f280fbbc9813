from django.contrib import admin

from transactions.models import Account, Category, Transaction


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "kind", "currency", "opening_balance", "is_archived", "created_at")
    list_filter = ("kind", "is_archived", "currency")
    search_fields = ("name", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "kind", "color", "income_percentage")
    list_filter = ("kind",)
    search_fields = ("name", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ("date", "user", "account", "kind", "amount", "category", "description", "payee")
    list_filter = ("kind", "date")
    search_fields = ("description", "payee", "notes", "external_id", "user__email")
    list_select_related = ("user", "account", "category", "transfer_account")
    autocomplete_fields = ("user", "account", "category", "transfer_account")
    readonly_fields = ("import_hash", "created_at", "updated_at")
    date_hierarchy = "date"
