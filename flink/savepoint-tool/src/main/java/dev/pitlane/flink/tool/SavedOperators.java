package dev.pitlane.flink.tool;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;

/**
 * What a savepoint holds, per operator: its id, uid and name (Flink 2 keeps them in the
 * metadata; older savepoints have the id only), parallelism, max parallelism, whether it has state, and for keyed state the
 * state names with their serializer snapshots, read from the head of one subtask's keyed
 * state (the KeyedBackendSerializationProxy every full snapshot starts with, and the
 * metadata file of an incremental RocksDB one). The snapshots are read with the
 * candidate's class loader, as Flink's own restore reads them.
 */
final class SavedOperators {
    private SavedOperators() {}

    record SavedState(String name, String kind, TypeSerializerSnapshot<?> snapshot) {}

    record SavedOperator(
            String operatorId,
            String uid,
            String name,
            int parallelism,
            int maxParallelism,
            boolean hasState,
            long bytes,
            List<String> operatorStates,
            TypeSerializerSnapshot<?> keySnapshot,
            List<SavedState> keyed,
            String readError) {}

    static File metadataFile(File path) {
        return path.isDirectory() ? new File(path, "_metadata") : path;
    }

    static List<SavedOperator> read(File path, ClassLoader classLoader) throws IOException {
        File meta = metadataFile(path);
        if (!meta.isFile()) throw new IOException("no " + meta + ": not a Flink savepoint (a savepoint directory holds _metadata)");
        File dir = meta.getAbsoluteFile().getParentFile();
        CheckpointMetadata md;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(meta)))) {
            md = Checkpoints.loadCheckpointMetadata(in, classLoader, dir.toURI().toString());
        }
        List<SavedOperator> out = new ArrayList<>();
        for (OperatorState op : md.getOperatorStates()) out.add(describe(op, classLoader));
        return out;
    }

    private static SavedOperator describe(OperatorState op, ClassLoader classLoader) {
        boolean hasState = op.getCoordinatorState() != null;
        Set<String> operatorStates = new LinkedHashSet<>();
        KeyedStateHandle keyedHandle = null;
        for (OperatorSubtaskState sub : op.getStates()) {
            hasState |= sub.hasState();
            for (OperatorStateHandle h : sub.getManagedOperatorState()) operatorStates.addAll(h.getStateNameToPartitionOffsets().keySet());
            for (KeyedStateHandle h : sub.getManagedKeyedState()) if (keyedHandle == null && h != null) keyedHandle = h;
        }
        TypeSerializerSnapshot<?> keySnapshot = null;
        List<SavedState> keyed = new ArrayList<>();
        String readError = null;
        if (keyedHandle != null) {
            StreamStateHandle head = keyedHandle instanceof KeyGroupsStateHandle k ? k
                    : keyedHandle instanceof IncrementalRemoteKeyedStateHandle inc ? inc.getMetaDataStateHandle() : null;
            if (head == null) {
                readError = "keyed state in a format the tool does not read (" + keyedHandle.getClass().getSimpleName() + ")";
            } else {
                try (FSDataInputStream in = head.openInputStream()) {
                    KeyedBackendSerializationProxy<?> proxy = new KeyedBackendSerializationProxy<>(classLoader);
                    proxy.read(new DataInputViewStreamWrapper(in));
                    keySnapshot = proxy.getKeySerializerSnapshot();
                    for (StateMetaInfoSnapshot s : proxy.getStateMetaInfoSnapshots()) {
                        String kind = s.getBackendStateType() == StateMetaInfoSnapshot.BackendStateType.PRIORITY_QUEUE
                                ? "TIMERS"
                                : String.valueOf(s.getOption(StateMetaInfoSnapshot.CommonOptionsKeys.KEYED_STATE_TYPE));
                        keyed.add(new SavedState(s.getName(), kind, s.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER)));
                    }
                } catch (Exception | LinkageError e) {
                    readError = "its keyed state's serializers cannot be read with the candidate's classes: " + Tool.message(e);
                }
            }
        }
        return new SavedOperator(op.getOperatorID().toHexString(), op.getOperatorUid().orElse(null), op.getOperatorName().orElse(null), op.getParallelism(), op.getMaxParallelism(), hasState, op.getStateSize(), new ArrayList<>(operatorStates), keySnapshot, keyed, readError);
    }

    static Map<String, Object> json(SavedOperator o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("operatorId", o.operatorId());
        m.put("uid", o.uid());
        m.put("name", o.name());
        m.put("parallelism", o.parallelism());
        m.put("maxParallelism", o.maxParallelism());
        m.put("hasState", o.hasState());
        m.put("bytes", o.bytes());
        m.put("operatorStates", o.operatorStates());
        m.put("keyType", o.keySnapshot() == null ? null : Types.describe(o.keySnapshot()));
        List<Object> keyed = new ArrayList<>();
        for (SavedState s : o.keyed()) {
            Map<String, Object> st = new LinkedHashMap<>();
            st.put("name", s.name());
            st.put("kind", s.kind());
            st.put("type", s.snapshot() == null ? null : Types.describe(s.snapshot()));
            keyed.add(st);
        }
        m.put("keyedStates", keyed);
        m.put("readError", o.readError());
        return m;
    }
}
