"""Peer for bench/serve: what a Python user would deploy, FastAPI on uvicorn serving an XGBoost model.

usage: peer.py <model.ubj> <port> <nthread>
POST /v1/predict {"rows": [[...], ...]} answers {"p": [[p_down, p_flat, p_up], ...]} from python3-xgboost's
inplace_predict on the same model file our bundle holds; GET /v1/health answers {"status": "ok"}. Loopback only.
"""
import sys

import numpy as np
import uvicorn
import xgboost as xgb
from fastapi import FastAPI
from pydantic import BaseModel

model_path, port, nthread = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
booster = xgb.Booster(model_file=model_path)
booster.set_param({"nthread": nthread})

app = FastAPI()


class Rows(BaseModel):
    rows: list[list[float]]


@app.get("/v1/health")
def health():
    return {"status": "ok"}


@app.post("/v1/predict")
def predict(body: Rows):
    p = booster.inplace_predict(np.asarray(body.rows, dtype=np.float64))
    return {"p": p.tolist()}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
