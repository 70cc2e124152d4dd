/// The API's callers (the composition root, the token command) name the identity, its scopes and the URL
/// signer, which are FileCore's; they see them through `import API` as before.
@_exported import FileCore
