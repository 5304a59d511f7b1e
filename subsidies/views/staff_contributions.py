"""
The bureau's social-insurance contribution imports (社保缴费数据导入): upload
a month's file for a city or district, see each bad row, and the latest
imports of the user's regions.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from employers.selectors_staff import publishable_region_list_for_user

from ..forms_staff import ContributionImportForm
from ..services.contributions import (
    COLUMNS,
    IMPORT_PERMISSION,
    INSURANCE_TYPES,
    MAX_BYTES,
    MAX_ROWS,
    contribution_import_list_for_user,
    contributions_import,
    sample_file_path,
)


class StaffContributionImportView(PermissionRequiredMixin, FormView):
    """Upload a contribution file: every row lands, or none, with each error shown."""

    permission_required = IMPORT_PERMISSION
    template_name = "subsidies/staff/contribution_import.html"
    form_class = ContributionImportForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "regions": publishable_region_list_for_user(user=self.request.user),
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            imports=list(contribution_import_list_for_user(user=self.request.user)),
            columns=COLUMNS,
            insurance_labels=[str(label) for label in INSURANCE_TYPES.values()],
            max_rows=MAX_ROWS,
            **kwargs,
        )

    def form_valid(self, form: ContributionImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error("file", _("文件超过20 MB，请拆分后分批导入。"))
            return self.form_invalid(form)
        result = contributions_import(
            file_name=upload.name,
            data=upload.read(),
            region=form.cleaned_data["region"],
            imported_by=self.request.user,
        )
        if result.errors:
            return self.render_to_response(self.get_context_data(form=form, result=result))
        if result.duplicate_file:
            earlier = result.batch
            messages.info(
                self.request,
                _("该文件已于%(when)s导入过（%(name)s），本次没有任何改动。")
                % {
                    "when": date_format(timezone.localtime(earlier.created_at), "Y-m-d H:i"),
                    "name": earlier.file_name,
                },
            )
        else:
            summary = _("已导入“%(name)s”：共%(rows)s行，新增%(created)s条缴费记录。") % {
                "name": upload.name,
                "rows": result.row_count,
                "created": result.created,
            }
            if result.skipped:
                summary += _("其中%(n)s行与已导入的记录相同，已跳过。") % {"n": result.skipped}
            messages.success(self.request, summary)
        return redirect("subsidies:staff-contribution-import")


class StaffContributionSampleView(PermissionRequiredMixin, View):
    """The sample file: synthetic people and employers, valid check characters."""

    permission_required = IMPORT_PERMISSION

    def get(self, request: HttpRequest) -> FileResponse:
        response = FileResponse(
            open(sample_file_path(), "rb"),  # noqa: SIM115 (FileResponse closes it)
            content_type="text/csv; charset=utf-8",
        )
        local_name = quote(_("社保缴费导入示例") + ".csv")
        response["Content-Disposition"] = (
            f"attachment; filename=\"contributions-sample.csv\"; filename*=UTF-8''{local_name}"
        )
        return response


urlpatterns = [
    path(
        "staff/subsidies/contributions/",
        StaffContributionImportView.as_view(),
        name="staff-contribution-import",
    ),
    path(
        "staff/subsidies/contributions/sample.csv",
        StaffContributionSampleView.as_view(),
        name="staff-contribution-sample",
    ),
]
