import FileCore

extension APIConfiguration {
    /// The use cases' part of the API's configuration, to build the ``FileCore`` the API serves.
    public var core: FileCoreConfiguration {
        FileCoreConfiguration(maxUploadBytes: maxUploadBytes, maxPageSize: maxPageSize, scanQueue: scanQueue,
                              maintenanceQueue: maintenanceQueue, defaultQuotaBytes: defaultQuotaBytes, defaultQuotaFiles: defaultQuotaFiles)
    }
}
