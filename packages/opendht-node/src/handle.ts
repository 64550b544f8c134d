// The key under which public classes keep their native object; not exported from the package.
export const handle: unique symbol = Symbol('opendht-node.handle');
