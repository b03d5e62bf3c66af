/*
 * The part of the WebAssembly JavaScript API that the SIMD kernels use. Node has it, but TypeScript declares it
 * only in its DOM libraries, which this Node project does not load.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number
    maximum?: number
    shared?: boolean
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor)
    readonly buffer: ArrayBuffer | SharedArrayBuffer
    /** Adds `pages` of 64 KiB; returns the previous size in pages. */
    grow(pages: number): number
  }
  class Module {
    constructor(bytes: Uint8Array)
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>)
    readonly exports: Record<string, unknown>
  }
}
