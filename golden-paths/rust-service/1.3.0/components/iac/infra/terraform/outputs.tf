output "ecr_repository_url" {
  description = "Registry path to push the image to (<account>.dkr.ecr.<region>.amazonaws.com/<service_name>)."
  value       = aws_ecr_repository.service.repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the image repository."
  value       = aws_ecr_repository.service.arn
}

output "ci_role_arn" {
  description = "Role the CI pipeline assumes with its OIDC token (AWS_ROLE_ARN / role-to-assume)."
  value       = aws_iam_role.ci.arn
}

output "ci_oidc_subjects" {
  description = "Token subjects allowed to assume the CI role."
  value       = local.ci_oidc.subjects
}

output "oidc_provider_arn" {
  description = "IAM OIDC provider trusted by the CI role."
  value       = local.oidc_provider_arn
}

output "runtime_role_arns" {
  description = "Runtime role per environment (bound to service account <service_name> in namespace <service_name>-<env>)."
  value       = { for env, role in aws_iam_role.runtime : env => role.arn }
}

output "service_account_annotations" {
  description = "With workload_identity = irsa: the annotation each overlay's ServiceAccount needs. Empty with pod-identity."
  value = var.workload_identity == "irsa" ? {
    for env, role in aws_iam_role.runtime : env => { "eks.amazonaws.com/role-arn" = role.arn }
  } : {}
}
