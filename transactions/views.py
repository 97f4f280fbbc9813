from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from budgetpay.api import PayloadTooLarge, ServiceViewSetMixin
from budgetpay.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from budgetpay.periods import user_today
from transactions import import_jobs, imports, selectors, services
from transactions.csv_export import acsv_chunks, csv_chunks
from transactions.filters import AccountFilter, CategoryFilter, TransactionFilter
from transactions.models import Account, Category, ImportJob, Transaction
from transactions.serializers import (
    AccountSerializer,
    CategorySerializer,
    ImportJobSerializer,
    ImportReportSerializer,
    ImportRequestSerializer,
    TransactionSerializer,
)


@extend_schema_view(
    destroy=extend_schema(
        description="Delete an account without transactions; one with transactions answers 400: archive it."
    ),
)
@extend_schema(tags=["accounts"])
class AccountViewSet(ServiceViewSetMixin, viewsets.ModelViewSet):
    queryset = Account.objects.none()
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    lookup_value_regex = "[0-9]+"
    selector = staticmethod(selectors.account_list)
    create_service = staticmethod(services.account_create)
    update_service = staticmethod(services.account_update)
    delete_service = staticmethod(services.account_delete)
    refetch_after_create = True
    refetch_after_update = True

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        return super().create(request, *args, **kwargs)


@extend_schema(tags=["categories"])
class CategoryViewSet(ServiceViewSetMixin, viewsets.ModelViewSet):
    """Deleting a category keeps its transactions, uncategorised."""

    queryset = Category.objects.none()
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    lookup_value_regex = "[0-9]+"
    selector = staticmethod(selectors.category_list)
    create_service = staticmethod(services.category_create)
    update_service = staticmethod(services.category_update)
    delete_service = staticmethod(services.category_delete)


@extend_schema(tags=["transactions"])
class TransactionViewSet(ServiceViewSetMixin, viewsets.ModelViewSet):
    queryset = Transaction.objects.none()
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    lookup_value_regex = "[0-9]+"
    selector = staticmethod(selectors.transaction_list)
    create_service = staticmethod(services.transaction_create)
    update_service = staticmethod(services.transaction_update)
    delete_service = staticmethod(services.transaction_delete)

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # The export answers text/csv whatever the client accepts; its errors are JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "export_csv")

    @extend_schema(
        parameters=[IDEMPOTENCY_PARAMETER],
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: OpenApiResponse(ImportReportSerializer, description="Dry run, or nothing new to add."),
            201: OpenApiResponse(ImportReportSerializer, description="Rows were added."),
            202: OpenApiResponse(
                ImportJobSerializer,
                description="A large file: it is imported by a job; GET its status_url for its state and counts.",
            ),
            413: OpenApiResponse(description="The file is larger than the upload limit."),
        },
        description=(
            "Import a bank statement CSV into one account. Columns are recognised by their headers "
            "(or named with `mapping`); rows imported before are skipped as duplicates, rows with "
            "errors are reported and skipped, and all other rows are added together. A file above "
            "IMPORT_JOB_THRESHOLD_BYTES (256 KiB by default) or with more than IMPORT_JOB_THRESHOLD_ROWS "
            "lines (2,000) is imported by a job in batches: the answer is 202 with the job, whose "
            "`status_url` answers its state, counts and errors (sockets opened with `?progress=1` "
            "receive `import.progress` frames). A dry run always answers at once."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    @idempotent
    def import_csv(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        limit = settings.API_UPLOAD_MAX_SIZE
        if upload is not None and upload.size > limit:
            raise PayloadTooLarge(f"The file is {upload.size} bytes; the limit is {limit} bytes.")
        serializer = ImportRequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        content = data["file"].read()
        if not data["dry_run"] and import_jobs.needs_job(content):
            job = import_jobs.import_job_create(
                user=request.user,
                account=data["account"],
                file_name=data["file"].name or "",
                content=content,
                mapping=data.get("mapping"),
                date_format=data.get("date_format"),
            )
            body = ImportJobSerializer(job).data
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})
        report = imports.transactions_import(
            user=request.user,
            account=data["account"],
            content=content,
            mapping=data.get("mapping"),
            date_format=data.get("date_format"),
            dry_run=data["dry_run"],
        )
        answer = status.HTTP_201_CREATED if report.created else status.HTTP_200_OK
        return Response(ImportReportSerializer(report).data, status=answer)

    @extend_schema(
        responses={200: ImportJobSerializer},
        description=(
            "The state of a large import (queued, running, done or failed), its progress and counts, "
            "and the rows it skipped with their errors. Another person's job answers 404."
        ),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"import/jobs/(?P<job_id>[0-9]+)",
        url_name="import-job",
        filter_backends=[],
        pagination_class=None,
    )
    def import_job(self, request: Request, job_id: str) -> Response:
        try:
            job = import_jobs.import_job_get(user=request.user, job_id=int(job_id))
        except ImportJob.DoesNotExist as exc:
            raise Http404("No such import.") from exc
        return Response(ImportJobSerializer(job).data)

    @extend_schema(
        filters=True,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        description="The filtered list as CSV (same filters as the list, not paginated); the import reads it back.",
    )
    @action(detail=False, methods=["get"], url_path="export", url_name="export")
    def export_csv(self, request: Request) -> StreamingHttpResponse:
        queryset = self.filter_queryset(self.get_queryset())
        asgi = isinstance(request._request, ASGIRequest)
        chunks = acsv_chunks(queryset) if asgi else csv_chunks(queryset)
        response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
        filename = f"transactions-{user_today(request.user).isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
