"""Logs a NanoDet training run to a real MLflow server, as a training job would, for the control
plane's MLflow tests (control-plane/test/mlflow-client.spec.ts) and by hand:

  .venv-mlflow/bin/python control-plane/test/support/log-mlflow-run.py \
      --tracking-uri http://127.0.0.1:5000 --onnx triton-models/nanodet/1/model.onnx \
      [--model-name nanodet --alias champion]

The run gets params, metrics over several steps, tags, a dataset input (name, digest, source) and a
copy of the ONNX file as the artifact model/model.onnx; with --model-name it is registered as a
new version of that model (and --alias points at it). Prints one JSON line on stdout:
{"runId", "experimentId", "experimentName", "artifactPath", "dataset": {"name", "digest"},
 "registeredVersion"?}.
"""

import argparse
import json
import os
import sys

import mlflow
import numpy as np
from mlflow import MlflowClient

ARTIFACT_DIR = "model"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--onnx", required=True, help="the ONNX file logged as model/model.onnx")
    parser.add_argument("--experiment", default="nanodet-finetune")
    parser.add_argument("--model-name", help="register the run's model as a version of this model")
    parser.add_argument("--alias", help="point this alias of --model-name at the new version")
    args = parser.parse_args()
    if args.alias and not args.model_name:
        parser.error("--alias needs --model-name")

    mlflow.set_tracking_uri(args.tracking_uri)
    experiment = mlflow.set_experiment(args.experiment)

    # A stand-in for the evaluation images: the digest MLflow computes from it is what lineage keeps.
    features = np.arange(4 * 3 * 8 * 8, dtype=np.float32).reshape(4, 3, 8, 8)
    dataset = mlflow.data.from_numpy(
        features,
        source="https://images.cocodataset.org/zips/val2017.zip",
        name="coco-val2017-people",
    )

    with mlflow.start_run(run_name="nanodet-416") as run:
        mlflow.log_params({"input_size": 416, "epochs": 3, "optimizer": "sgd"})
        for step, (m_ap, loss) in enumerate([(0.11, 1.9), (0.19, 1.2), (0.25, 0.8)]):
            mlflow.log_metrics({"mAP": m_ap, "loss": loss}, step=step)
        mlflow.set_tags({"team": "vision", "model.family": "nanodet"})
        mlflow.log_input(dataset, context="training")
        mlflow.log_artifact(args.onnx, artifact_path=ARTIFACT_DIR)
        artifact_path = f"{ARTIFACT_DIR}/{os.path.basename(args.onnx)}"

    result = {
        "runId": run.info.run_id,
        "experimentId": experiment.experiment_id,
        "experimentName": experiment.name,
        "artifactPath": artifact_path,
        "dataset": {"name": dataset.name, "digest": dataset.digest},
    }
    if args.model_name:
        # Not mlflow.register_model: in MLflow 3 it wants a logged model (log_model) under the run;
        # a plain artifact directory is registered from its runs:/ source directly.
        client = MlflowClient()
        try:
            client.create_registered_model(args.model_name)
        except mlflow.exceptions.RestException as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        version = client.create_model_version(
            args.model_name, f"runs:/{run.info.run_id}/{ARTIFACT_DIR}", run_id=run.info.run_id
        )
        if args.alias:
            client.set_registered_model_alias(args.model_name, args.alias, version.version)
        result["registeredVersion"] = version.version
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
