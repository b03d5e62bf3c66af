/** libtorch engine: lazy native binding, scope helpers and types. Importing this never loads the addon. */
export {
  torch,
  torchAvailability,
  torchUnavailableReason,
  loadedLibtorchVersion,
  TORCH_INSTALL_HINT,
  ADDON_PATH,
} from './loader.js'
export { tidy, noGrad, disposeAll } from './helpers.js'
export type { Tensor, TorchBinding, DType, Reduction, OptimizerHandle, OptimizerOptions } from './types.js'
