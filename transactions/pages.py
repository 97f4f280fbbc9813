"""The ledger's pages: transactions (list, add, edit, delete, import a statement), and the
accounts and categories they are kept in. The dashboard's quick-add form (budgets.pages) is
this module's transaction form, saved as the add page saves it (TRANSACTION_PAGES.added)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods

from budgetpay.formatting import format_money
from budgetpay.forms import add_service_errors
from budgetpay.pages import RowPages, form_data
from budgetpay.periods import user_today
from transactions import services as ledger
from transactions.csv_import import StatementError
from transactions.forms import AccountForm, CategoryForm, ImportForm, TransactionForm
from transactions.imports import transactions_import
from transactions.models import Account, Category, Transaction
from transactions.selectors import account_list, category_list, transaction_list, transaction_search

TRANSACTIONS_PER_PAGE = 25


# --- Transactions ------------------------------------------------------------------------


def transaction_form(
    request: HttpRequest,
    *,
    instance: Transaction | None = None,
    initial: dict | None = None,
    prefix: str | None = None,
    allow_transfer: bool = True,
) -> TransactionForm:
    """The form with the person's own categories and open accounts (plus the edited one's accounts)."""
    user = request.user
    kept = [pk for pk in (getattr(instance, "account_id", None), getattr(instance, "transfer_account_id", None)) if pk]
    accounts = list(account_list(user=user).filter(Q(is_archived=False) | Q(pk__in=kept)))
    return TransactionForm(
        form_data(request),
        user=user,
        categories=list(category_list(user=user)),
        accounts=accounts,
        today=user_today(user),
        initial=TransactionForm.initial_from(instance) if instance else initial,
        prefix=prefix,
        allow_transfer=allow_transfer,
    )


def transaction_saved_message(tx: Transaction) -> str:
    if tx.kind == Transaction.Kind.TRANSFER:
        return (
            f"Transfer of {format_money(tx.amount, tx.account.currency)} saved "
            f"({tx.account.name} → {tx.transfer_account.name}, {tx.date:%-d %b})."
        )
    what = tx.category.name if tx.category else "uncategorised"
    verb = "Expense" if tx.kind == Transaction.Kind.EXPENSE else "Income"
    return f"{verb} of {format_money(tx.amount, tx.account.currency)} saved ({what}, {tx.date:%-d %b})."


@login_required
@require_GET
def transaction_list_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    # The API's meaning of search (every word, in the description, payee or notes).
    transactions = transaction_search(user=request.user, query=query)
    if kind in Transaction.Kind.values:
        transactions = transactions.filter(kind=kind)
    page = Paginator(transactions, TRANSACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "transactions/transactions.html",
        {
            "page": page,
            "query": query,
            "kind": kind,
            "kinds": Transaction.Kind.choices,
            "filtered": bool(query or kind),
        },
    )


def _transaction_page_form(request: HttpRequest, tx: Transaction | None) -> TransactionForm:
    """The add page's form starts as the kind asked for (`?kind=income`), an edit from the transaction."""
    kind = request.GET.get("kind")
    return transaction_form(request, instance=tx, initial={"kind": kind} if kind in Transaction.Kind.values else None)


TRANSACTION_PAGES = RowPages(
    Transaction,
    ledger,
    rows=transaction_list,
    form=_transaction_page_form,
    done="transactions:list",
    created=transaction_saved_message,
    saved=transaction_saved_message,
    deleted=lambda tx: "The transaction was deleted.",
    follow_next=True,
)


# --- Accounts and categories -------------------------------------------------------------


@login_required
@require_GET
def account_list_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "transactions/accounts.html",
        {"accounts": account_list(user=request.user), "categories": category_list(user=request.user)},
    )


def _account_form(request: HttpRequest, account: Account | None) -> AccountForm:
    initial = AccountForm.initial_from(account) if account else {"currency": request.user.currency}
    return AccountForm(form_data(request), initial=initial)


def _category_form(request: HttpRequest, category: Category | None) -> CategoryForm:
    return CategoryForm(form_data(request), initial=CategoryForm.initial_from(category) if category else None)


ACCOUNT_PAGES = RowPages(Account, ledger, rows=account_list, form=_account_form, done="transactions:accounts")
CATEGORY_PAGES = RowPages(Category, ledger, rows=category_list, form=_category_form, done="transactions:accounts")


# --- Import a statement ------------------------------------------------------------------

IMPORT_ROWS_SHOWN = 50
# What to do on this page about a problem with the whole file, by the parser's StatementError.field.
IMPORT_HINTS = {
    "mapping": "Name them under “My bank names its columns differently”.",
    "date_format": "Choose DD/MM/YYYY or MM/DD/YYYY under “Dates look like”.",
}
IMPORT_LAYOUTS = {
    "signed_amount": "one signed amount column",
    "debit_credit": "money out and money in columns",
    "amount_and_kind": "an amount column and a debit/credit column",
}


@login_required
@require_http_methods(["GET", "POST"])
def transaction_import_page(request: HttpRequest) -> HttpResponse:
    """Upload a statement; show what was imported (or, checking only, what would be),
    the duplicates skipped and each row that could not be read, by line number."""
    form = ImportForm(form_data(request), request.FILES or None, accounts=list(account_list(user=request.user)))
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = transactions_import(user=request.user, **form.service_arguments())
        except StatementError as error:
            # The parser's hint tells an API client what to send; here the same fix is in the form.
            hint = IMPORT_HINTS.get(error.field, "") if error.hint else ""
            form.add_error(error.field if error.field in form.fields else None, f"{error.problem} {hint}".strip())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if report.created:
                messages.success(request, f"{report.created} transaction{pluralize(report.created)} imported.")
    context = {"form": form, "report": report}
    if report is not None:
        context["rows_shown"] = report.rows[:IMPORT_ROWS_SHOWN]
        context["errors_shown"] = report.errors[:IMPORT_ROWS_SHOWN]
        context["layout"] = IMPORT_LAYOUTS.get(report.layout, report.layout)
    return render(request, "transactions/transaction_import.html", context)
