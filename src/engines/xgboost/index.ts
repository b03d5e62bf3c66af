export { xgboostAvailability, xgb, check, loadedXgboostVersion, XGBOOST_INSTALL_HINT, type Handle } from './library.js'
export { createDMatrix, setLabels, sliceDMatrix, withDMatrix, type DMatrix, type DMatrixInput } from './dmatrix.js'
export {
  createBooster,
  loadBooster,
  type Booster,
  type BoosterParams,
  type ImportanceType,
  type PredictKind,
  type PredictOptions,
  type Prediction,
} from './booster.js'
export { trainBooster, parseEvalLine, type TrainOptions, type TrainResult } from './train.js'
