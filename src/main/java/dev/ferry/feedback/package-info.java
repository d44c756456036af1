/**
 * LVS dynamic feedback: {@link dev.ferry.feedback.FeedbackController} polls each server's agent every interval,
 * combines the normalised {@link dev.ferry.feedback.LoadMetrics} into an aggregate load and moves the server's weight
 * by the {@link dev.ferry.feedback.WeightFormula}. The server side, {@code ferry agent}, is
 * {@link dev.ferry.feedback.LoadAgent} answering what {@link dev.ferry.feedback.ProcLoadSampler} reads from /proc.
 */
package dev.ferry.feedback;
