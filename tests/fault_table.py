"""Which contract tests catch which gateway fault: asserted by tests/test_faults.py, shown in the README.

``python -m tests.fault_table`` rewrites the README's table from :data:`CATCHERS`;
tests/test_readme.py fails when the README is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from contracts.gateway.faults import FAULTS

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN, END = "<!-- fault-table:begin -->", "<!-- fault-table:end -->"

# How the self-tests run the contract suite: a tight response-time budget, so that slowness shows.
SUITE_ARGS = ("contracts/scenarios", "contracts/properties", "--max-response-time", "1", "--hypothesis-profile", "ci")

CATCHERS: dict[str, list[str]] = {
    'status-204': [
        'test_a_delete_removes_exactly_the_named_credential_and_nothing_else',
        'test_a_deleted_credential_is_gone_from_the_credential_list',
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_an_existing_credential_answers_200_with_success_true',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_the_credentials_access_grants_are_removed_with_it',
        'test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[ampersand-and-equals]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[at-sign]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[colon-and-semicolon]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[hash]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[non-ascii]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[percent]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[plus]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[question-mark]',
    ],
    'missing-credential-404': [
        'test_a_credential_is_reached_only_through_its_own_project',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_a_credential_that_does_not_exist_answers_400_bad_request_naming_the_username',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_usernames_are_case_sensitive_a_case_variant_deletes_nothing',
    ],
    'unknown-project-400': [
        'test_deleting_in_an_unknown_project_answers_404_not_found_naming_the_project',
        'test_project_names_are_case_sensitive_a_case_variant_project_is_unknown',
    ],
    'unknown-project-403': [
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_deleting_in_an_unknown_project_answers_404_not_found_naming_the_project',
        'test_project_names_are_case_sensitive_a_case_variant_project_is_unknown',
    ],
    'unauthorized-403': [
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[empty-bearer]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[no-authorization-header]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[right-token-under-basic-scheme]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[wrong-token]',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_the_token_is_checked_before_the_credential',
        'test_the_token_is_checked_before_the_project',
    ],
    'missing-credential-not-found-code': [
        'test_a_credential_is_reached_only_through_its_own_project',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_a_credential_that_does_not_exist_answers_400_bad_request_naming_the_username',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_usernames_are_case_sensitive_a_case_variant_deletes_nothing',
    ],
    'unauthorized-invalid-request': [
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[empty-bearer]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[no-authorization-header]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[right-token-under-basic-scheme]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[wrong-token]',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_the_token_is_checked_before_the_credential',
        'test_the_token_is_checked_before_the_project',
    ],
    'no-deployment-result': [
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_an_existing_credential_answers_200_with_success_true',
        'test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[ampersand-and-equals]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[at-sign]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[colon-and-semicolon]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[hash]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[non-ascii]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[percent]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[plus]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[question-mark]',
    ],
    'success-as-string': [
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_an_existing_credential_answers_200_with_success_true',
        'test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[ampersand-and-equals]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[at-sign]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[colon-and-semicolon]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[hash]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[non-ascii]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[percent]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[plus]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[question-mark]',
    ],
    'environment-name-missing': [
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_an_existing_credential_answers_200_with_success_true',
        'test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[ampersand-and-equals]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[at-sign]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[colon-and-semicolon]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[hash]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[non-ascii]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[percent]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[plus]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[question-mark]',
    ],
    'error-description-missing': [
        'test_a_credential_is_reached_only_through_its_own_project',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[empty-bearer]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[no-authorization-header]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[right-token-under-basic-scheme]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[wrong-token]',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_a_credential_that_does_not_exist_answers_400_bad_request_naming_the_username',
        'test_deleting_in_an_unknown_project_answers_404_not_found_naming_the_project',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_project_names_are_case_sensitive_a_case_variant_project_is_unknown',
        'test_the_token_is_checked_before_the_credential',
        'test_the_token_is_checked_before_the_project',
        'test_usernames_are_case_sensitive_a_case_variant_deletes_nothing',
    ],
    'error-renamed': [
        'test_a_credential_is_reached_only_through_its_own_project',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[empty-bearer]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[no-authorization-header]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[right-token-under-basic-scheme]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[wrong-token]',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_a_credential_that_does_not_exist_answers_400_bad_request_naming_the_username',
        'test_deleting_in_an_unknown_project_answers_404_not_found_naming_the_project',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_project_names_are_case_sensitive_a_case_variant_project_is_unknown',
        'test_the_token_is_checked_before_the_credential',
        'test_the_token_is_checked_before_the_project',
        'test_usernames_are_case_sensitive_a_case_variant_deletes_nothing',
    ],
    'username-not-named': [
        'test_deleting_a_credential_that_does_not_exist_answers_400_bad_request_naming_the_username',
    ],
    'text-plain': [
        'test_a_credential_is_reached_only_through_its_own_project',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[empty-bearer]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[no-authorization-header]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[right-token-under-basic-scheme]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[wrong-token]',
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_a_credential_that_does_not_exist_answers_400_bad_request_naming_the_username',
        'test_deleting_an_existing_credential_answers_200_with_success_true',
        'test_deleting_in_an_unknown_project_answers_404_not_found_naming_the_project',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_project_names_are_case_sensitive_a_case_variant_project_is_unknown',
        'test_the_token_is_checked_before_the_credential',
        'test_the_token_is_checked_before_the_project',
        'test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully',
        'test_usernames_are_case_sensitive_a_case_variant_deletes_nothing',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[ampersand-and-equals]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[at-sign]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[colon-and-semicolon]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[hash]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[non-ascii]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[percent]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[plus]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[question-mark]',
    ],
    'html-error-page': [
        'test_a_credential_is_reached_only_through_its_own_project',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[empty-bearer]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[no-authorization-header]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[right-token-under-basic-scheme]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[wrong-token]',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_a_credential_that_does_not_exist_answers_400_bad_request_naming_the_username',
        'test_deleting_in_an_unknown_project_answers_404_not_found_naming_the_project',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_project_names_are_case_sensitive_a_case_variant_project_is_unknown',
        'test_the_token_is_checked_before_the_credential',
        'test_the_token_is_checked_before_the_project',
        'test_usernames_are_case_sensitive_a_case_variant_deletes_nothing',
    ],
    'non-json-body': [
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_an_existing_credential_answers_200_with_success_true',
        'test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[ampersand-and-equals]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[at-sign]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[colon-and-semicolon]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[hash]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[non-ascii]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[percent]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[plus]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[question-mark]',
    ],
    'any-token': [
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[wrong-token]',
        'test_the_token_is_checked_before_the_credential',
        'test_the_token_is_checked_before_the_project',
    ],
    'missing-header-accepted': [
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[no-authorization-header]',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
    ],
    'any-scheme': [
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[right-token-under-basic-scheme]',
    ],
    'empty-bearer-accepted': [
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[empty-bearer]',
    ],
    'auth-after-project': [
        'test_the_token_is_checked_before_the_project',
    ],
    'delete-not-done': [
        'test_a_delete_removes_exactly_the_named_credential_and_nothing_else',
        'test_a_deleted_credential_is_gone_from_the_credential_list',
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_the_credentials_access_grants_are_removed_with_it',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[ampersand-and-equals]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[at-sign]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[colon-and-semicolon]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[hash]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[non-ascii]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[percent]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[plus]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[question-mark]',
    ],
    'delete-whole-project': [
        'test_a_delete_removes_exactly_the_named_credential_and_nothing_else',
    ],
    'delete-case-insensitive': [
        'test_usernames_are_case_sensitive_a_case_variant_deletes_nothing',
    ],
    'delete-ignores-project': [
        'test_a_credential_is_reached_only_through_its_own_project',
    ],
    'grants-survive-delete': [
        'test_the_credentials_access_grants_are_removed_with_it',
    ],
    'soft-delete': [
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_the_credentials_access_grants_are_removed_with_it',
    ],
    'incomplete-undeployment': [
        'test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully',
    ],
    'failed-undeployment': [
        'test_deleting_an_existing_credential_answers_200_with_success_true',
        'test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully',
    ],
    'token-echo-header': [
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_no_response_ever_carries_the_presented_token',
    ],
    'token-echo-body': [
        'test_no_response_ever_carries_the_presented_token',
    ],
    '500-on-non-ascii': [
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[non-ascii]',
    ],
    '500-on-at-sign': [
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[at-sign]',
    ],
    'double-decode': [
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[percent]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[plus]',
    ],
    'slow-delete': [
        'test_a_credential_is_reached_only_through_its_own_project',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[empty-bearer]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[no-authorization-header]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[right-token-under-basic-scheme]',
        'test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing[wrong-token]',
        'test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself',
        'test_any_generated_request_is_answered_as_documented[DELETE /projects/{projectName}/credentials/{username}/]',
        'test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list',
        'test_deleting_a_credential_that_does_not_exist_answers_400_bad_request_naming_the_username',
        'test_deleting_an_existing_credential_answers_200_with_success_true',
        'test_deleting_in_an_unknown_project_answers_404_not_found_naming_the_project',
        'test_deletion_is_permanent_a_second_delete_answers_400',
        'test_project_names_are_case_sensitive_a_case_variant_project_is_unknown',
        'test_the_token_is_checked_before_the_credential',
        'test_the_token_is_checked_before_the_project',
        'test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully',
        'test_usernames_are_case_sensitive_a_case_variant_deletes_nothing',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[ampersand-and-equals]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[at-sign]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[colon-and-semicolon]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[hash]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[non-ascii]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[percent]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[plus]',
        'test_usernames_that_need_url_encoding_are_deleted_correctly[question-mark]',
    ],
}


def table() -> str:
    rows = ["| fault | what it breaks | caught by |", "| --- | --- | --- |"]
    for name, fault in FAULTS.items():
        caught = "<br>".join(f"`{test}`" for test in sorted(CATCHERS.get(name, []))) or "**nothing**"
        rows.append(f"| `{name}` | {fault.breaks.replace('|', '/')} | {caught} |")
    return "\n".join(rows)


def render(readme: str) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"wrote the fault table of {README}\n")
