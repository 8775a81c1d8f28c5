#!/usr/bin/env bash
# One release of the API on AWS: the migrations first, as a one-off ECS task on the new image,
# then the stack update that rolls the service onto it. Run from deploy/aws with AWS credentials
# (the release workflow assumes its deploy role through OIDC):
#
#   scripts/release.sh <image> -c account=<id> -c region=<region> -c frontendUrl=<url> [-c ...]
#
# The very first release finds no stack: it creates the infrastructure with no API task running
# (-c bootstrap=true), migrates, then deploys the service. A failed migration stops the release
# before the service changes; the old version keeps serving.
set -euo pipefail
cd "$(dirname "$0")/.."

image=${1:?usage: scripts/release.sh <image> [cdk context arguments...]}
shift
stack=${STACK_NAME:-InsightSheet}

# Empty optional values (an unset repository variable) are dropped rather than passed as "".
context=()
while [ $# -gt 0 ]; do
  if [ "$1" = "-c" ] && [ $# -ge 2 ]; then
    case "$2" in *=) ;; *) context+=(-c "$2") ;; esac
    shift 2
  else
    context+=("$1")
    shift
  fi
done

deploy() {
  npx --no-install cdk deploy "$stack" --require-approval never --no-notices \
    -c image="$image" -c stackName="$stack" "${context[@]}" "$@"
}

output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

npm run build --silent

if ! aws cloudformation describe-stacks --stack-name "$stack" >/dev/null 2>&1; then
  echo "First release: creating the infrastructure, no API task yet"
  deploy -c bootstrap=true
fi

cluster=$(output ClusterName)
family=$(output MigrationTaskFamily)
container=$(output MigrationContainerName)
subnets=$(output TaskSubnets)
security_group=$(output TaskSecurityGroupId)

# The migration task definition as the stack last registered it, with the new image: the stack
# still describes the old version until the service update below.
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
aws ecs describe-task-definition --task-definition "$family" --query taskDefinition \
  >"$workdir/current.json"
jq --arg image "$image" --arg container "$container" '
  (.containerDefinitions[] | select(.name == $container) | .image) = $image
  | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,
        .registeredAt, .registeredBy, .deregisteredAt)' \
  "$workdir/current.json" >"$workdir/next.json"
task_definition=$(aws ecs register-task-definition --cli-input-json "file://$workdir/next.json" \
  --query taskDefinition.taskDefinitionArn --output text)

echo "Migrating with $image"
task=$(aws ecs run-task --cluster "$cluster" --task-definition "$task_definition" \
  --launch-type FARGATE --started-by release \
  --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$security_group],assignPublicIp=DISABLED}" \
  --query 'tasks[0].taskArn' --output text)
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"
exit_code=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
  --query "tasks[0].containers[?name=='$container'].exitCode | [0]" --output text)
if [ "$exit_code" != "0" ]; then
  reason=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
    --query 'tasks[0].stoppedReason' --output text)
  echo "The migration task failed (exit code $exit_code: $reason); the service was not updated." >&2
  echo "Its log is in the stack's log group, stream prefix 'migrate'." >&2
  exit 1
fi

echo "Deploying the service"
deploy
