namespace FastDht.LoadGen.Running;

/// <summary>Where a run is, as the live view shows it.</summary>
public enum RunPhase
{
    /// <summary>Starting the local cluster and connecting the clients.</summary>
    Starting,

    /// <summary>Inserting the YCSB records before the workload runs.</summary>
    Loading,

    /// <summary>Running the workload unmeasured.</summary>
    WarmingUp,

    /// <summary>Running the workload and recording it.</summary>
    Measuring,

    /// <summary>Waiting for the requests in flight, then stopping.</summary>
    Stopping,

    /// <summary>Done; the report is ready.</summary>
    Finished,
}
