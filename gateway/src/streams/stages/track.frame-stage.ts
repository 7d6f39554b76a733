import type { FrameStage, FrameWork } from '../frame-work';

/**
 * ByteTrack on the frame's detections (CameraState: one tracker per class); the answer holds the
 * tracked objects only, as ByteTrack reports them, with their centre velocity in px per second.
 */
export class TrackStage implements FrameStage {
  readonly name = 'track';

  run(work: FrameWork): void {
    const detections = work.detection?.detections ?? [];
    const { tracked, msPerStep } = work.camera.update(
      work.frame.seq,
      work.frame.captureTimeMs,
      detections.map(({ box, score, classId }) => ({ box, score, classId })),
    );
    const perSecond = 1000 / msPerStep;
    tracked.forEach((match, index) => {
      if (!match) return;
      const detection = detections[index];
      work.objects.push({
        trackId: match.trackId,
        globalId: work.camera.globalId(match.trackId),
        label: detection.label,
        classId: detection.classId,
        score: detection.score,
        box: detection.box,
        velocity: [match.velocity[0] * perSecond, match.velocity[1] * perSecond],
        forecast: [],
      });
    });
  }
}
