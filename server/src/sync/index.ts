// The sync folder's public face: the uploader (server side), the delta client, the watch loop and the upload command.
export { startUploadServer, type UploadServer, type UploadServerOptions } from "./server.ts";
export { notifyWatcher, watcherUrlFor, type NotifyOptions } from "./watcher-notify.ts";
export { syncOnce, scanWorkspace, SyncClientError, EXCLUDED_DIRS, BINARY_EXTENSIONS } from "./client.ts";
export type { SyncOptions, SyncResult, SyncProgress, SkippedFile, HashCache, ScanOptions, SkipReason } from "./client.ts";
export { watchWorkspace, type WatchOptions, type WorkspaceWatch } from "./watch-loop.ts";
export { runUploadCommand, uploadCommand, UPLOAD_USAGE, summarize, type UploadCommandIO } from "./upload-command.ts";
export * from "./protocol.ts";
