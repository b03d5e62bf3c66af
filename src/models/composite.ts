/**
 * Looking through composite models (ensembles, wrappers) by the parts they declare in the model contract, so no
 * caller has to know each kind of composite or duck-type its fields.
 */
import type { Model, ModelPart } from './contract.js'

/** A single (non-composite) model of a chain, with the feature-matrix columns it sees (all when absent). */
export interface LeafModel {
  readonly model: Model
  readonly features?: readonly string[]
}

/** The parts a model declares, in its order; none for a single model. */
export function modelParts(model: Model): readonly ModelPart[] {
  return model.parts ?? []
}

export function isComposite(model: Model): model is Model & { readonly parts: readonly ModelPart[] } {
  return modelParts(model).length > 0
}

/**
 * The single models a model is made of, depth first in part order: the model itself when it is not composite.
 * A part without a feature slice sees what its composite sees, so it inherits the composite's slice.
 */
export function leafModels(model: Model, features?: readonly string[]): readonly LeafModel[] {
  if (!isComposite(model)) return [features ? { model, features } : { model }]
  return model.parts.flatMap((p) => leafModels(p.model, p.features ?? features))
}
